/** Source of `quickcage:path`: POSIX path helpers for the file tools. Trusted, but written to pass the validator (see ../modules.ts). */
export const path = String.raw`
/** The path separator. */
export const sep = '/';
function check(fn, p) {
  if (typeof p !== 'string') throw new TypeError(fn + ': expected a string path, got ' + typeof p);
  return p;
}
/** Resolves '.', '..' and repeated slashes; keeps a leading slash; '' becomes '.'. */
export function normalize(p) {
  check('normalize', p);
  const absolute = p.startsWith('/');
  const out = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(part);
  }
  const body = out.join('/');
  const trailing = p.length > 1 && p.endsWith('/') && body !== '' ? '/' : '';
  return (absolute ? '/' + body : body || '.') + trailing;
}
/** Joins segments with '/' and normalizes the result. */
export function join(...parts) {
  const kept = parts.map((p) => check('join', p)).filter((p) => p !== '');
  return kept.length === 0 ? '.' : normalize(kept.join('/'));
}
/** True for paths starting with '/'. */
export function isAbsolute(p) {
  return check('isAbsolute', p).startsWith('/');
}
/** An absolute path from segments, right to left, relative to '/'. */
export function resolve(...parts) {
  let resolved = '';
  for (let i = parts.length - 1; i >= 0 && !resolved.startsWith('/'); i--) {
    const p = check('resolve', parts[i]);
    if (p !== '') resolved = resolved === '' ? p : p + '/' + resolved;
  }
  const n = normalize('/' + resolved);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
/** Everything before the last segment. */
export function dirname(p) {
  check('dirname', p);
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return trimmed.slice(0, i);
}
/** The last segment, without ext when it ends with it. */
export function basename(p, ext) {
  check('basename', p);
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return ext !== undefined && base !== ext && base.endsWith(ext) ? base.slice(0, -ext.length) : base;
}
/** The extension of the last segment, dot included ('' when none). */
export function extname(p) {
  const base = basename(check('extname', p));
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}
/** The relative path from one path to another (both resolved against '/'). */
export function relative(from, to) {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(i).map(() => '..').concat(b.slice(i)).join('/');
}
/** { root, dir, base, ext, name } of a path. */
export function parse(p) {
  check('parse', p);
  const base = basename(p);
  const ext = extname(p);
  const dir = p.includes('/') ? dirname(p) : '';
  return { root: p.startsWith('/') ? '/' : '', dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
}
`;
