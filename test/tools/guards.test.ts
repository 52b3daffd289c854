/**
 * Resource guards against real attacks. Each row is an attack with the rule that must stop it, next to
 * a near-miss safe input that must pass.
 */
import { describe, expect, test } from 'vitest';
import { checkUrl, confinePath, isPathWithin, normalizeVirtualPath, parseHostRule, type HostRule } from '../../src/tools/guards.js';

describe('normalizeVirtualPath', () => {
  test.each([
    ['/data/a.txt', '/data/a.txt'],
    ['/data/sub/', '/data/sub'],
    ['/', '/'],
    ['/data/.config', '/data/.config'],
    ['/data/report v2.final.txt', '/data/report v2.final.txt'],
    ['/data/Ünïcödé/日本語.txt', '/data/Ünïcödé/日本語.txt'],
    ['/data/a..b', '/data/a..b'],
    ['/data/(draft) [1] x+y=z,@home~', '/data/(draft) [1] x+y=z,@home~'],
  ])('accepts the safe path %j as %j', (input, expected) => {
    expect(normalizeVirtualPath(input)).toEqual({ ok: true, value: expected });
  });

  test.each([
    // traversal and its encodings
    ['/data/../etc/passwd', 'path.traversal'],
    ['/data/..', 'path.traversal'],
    ['/data/./a', 'path.traversal'],
    ['/data/.../a', 'path.traversal'],
    ['/data/%2e%2e/etc', 'path.encoded'],
    ['/data/%2E%2E/etc', 'path.encoded'],
    ['/data/%252e%252e/etc', 'path.encoded'],
    ['/data/..%2fetc', 'path.encoded'],
    ['/data/%00', 'path.encoded'],
    // backslashes
    ['/data\\..\\etc', 'path.backslash'],
    ['\\data\\a', 'path.backslash'],
    ['/data/a\\b', 'path.backslash'],
    // unicode look-alikes that NFKC folds into `.` and `/`
    ['/data/\uff0e\uff0e/etc', 'path.unicode'], // fullwidth full stops
    ['/data\uff0f..\uff0fetc', 'path.unicode'], // fullwidth solidus
    ['/data/\u2025/etc', 'path.unicode'], // two-dot leader
    ['/data/\u2024\u2024/etc', 'path.unicode'], // one-dot leaders
    ['/data/\ufe52\ufe52/etc', 'path.unicode'], // small full stops
    ['/data/\ufb01le', 'path.unicode'], // ligature fi
    ['/data/e\u0301', 'path.unicode'], // decomposed é: NFKC composes it, so two spellings would alias
    // look-alikes that NFKC keeps: caught by the character set
    ['/data/..\u2215etc', 'path.charset'], // division slash
    ['/data/a\u2044b', 'path.charset'], // fraction slash
    ['/data/a\u29f8b', 'path.charset'], // big solidus
    ['/data/\u202eevil', 'path.charset'], // right-to-left override
    ['/data/a\u200bb', 'path.charset'], // zero-width space
    ['/data/C:', 'path.charset'],
    ['/data/a:stream', 'path.charset'],
    ['/data/*.txt', 'path.charset'],
    // null bytes and control characters
    ['/data/a.txt\u0000.png', 'path.null-byte'],
    ['/data/\u0000', 'path.null-byte'],
    ['/data/a\nb', 'path.control'],
    ['/data/a\u0085b', 'path.control'],
    // empty segments, relative and absolute-looking forms
    ['/data//a', 'path.empty-segment'],
    ['//server/share', 'path.empty-segment'],
    ['/data/a//', 'path.empty-segment'],
    ['data/a.txt', 'path.relative'],
    ['./data', 'path.relative'],
    ['', 'path.relative'],
    ['~/data', 'path.relative'],
    // trailing dots and spaces (Windows strips them: `a.` would alias `a`)
    ['/data/a.', 'path.trailing-dot'],
    ['/data/secret.txt.', 'path.trailing-dot'],
    ['/data/a /b', 'path.whitespace'],
    ['/data/ a', 'path.whitespace'],
    // sizes
    [`/${'a'.repeat(256)}`, 'path.segment-length'],
    [`/${'a/'.repeat(65)}a`, 'path.depth'],
    [`/${'a'.repeat(1024)}`, 'path.length'],
  ])('rejects %j with %s', (input, rule) => {
    const result = normalizeVirtualPath(input);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.rule).toBe(rule);
  });

  test.each([[42], [null], [undefined], [['/data']], [{ toString: () => '/data' }]])('rejects the non-string %j with path.type', (input) => {
    expect(normalizeVirtualPath(input)).toMatchObject({ ok: false, rule: 'path.type' });
  });
});

describe('confinePath', () => {
  const roots = ['/data', '/kb/public'];

  test.each([
    ['/data', '/data'],
    ['/data/x/y.txt', '/data/x/y.txt'],
    ['/kb/public/faq.md', '/kb/public/faq.md'],
    ['/data/', '/data'],
  ])('keeps %j inside the roots', (input, expected) => {
    expect(confinePath(input, roots)).toEqual({ ok: true, value: expected });
  });

  test.each([
    ['/data2/x', 'path.outside'], // prefix confusion
    ['/datax', 'path.outside'],
    ['/kb/public2/x', 'path.outside'],
    ['/kb', 'path.outside'], // the parent of a root is not inside it
    ['/kb/private/x', 'path.outside'],
    ['/etc/passwd', 'path.outside'], // absolute path outside the roots
    ['/Data/x', 'path.outside'], // case matters: the virtual file system is case-sensitive
    ['/d\u0430ta/x', 'path.outside'], // Cyrillic а: a different name, not the root
    ['/data/../data2/x', 'path.traversal'],
  ])('rejects %j with %s', (input, rule) => {
    expect(confinePath(input, roots)).toMatchObject({ ok: false, rule });
  });

  test('allows nothing with no roots, and everything canonical under `/`', () => {
    expect(confinePath('/data/a', [])).toMatchObject({ ok: false, rule: 'path.outside' });
    expect(confinePath('/anything/at/all', ['/'])).toEqual({ ok: true, value: '/anything/at/all' });
    expect(confinePath('/a/../b', ['/'])).toMatchObject({ ok: false, rule: 'path.traversal' });
  });

  test('isPathWithin compares whole segments', () => {
    expect(isPathWithin('/data/x', '/data')).toBe(true);
    expect(isPathWithin('/data', '/data')).toBe(true);
    expect(isPathWithin('/data2', '/data')).toBe(false);
    expect(isPathWithin('/x', '/')).toBe(true);
  });
});

describe('parseHostRule', () => {
  test.each([
    ['example.com', { host: 'example.com', port: '' }],
    ['Example.COM', { host: 'example.com', port: '' }],
    ['localhost:5178', { host: 'localhost', port: '5178' }],
    ['bücher.de', { host: 'xn--bcher-kva.de', port: '' }],
    ['xn--bcher-kva.de', { host: 'xn--bcher-kva.de', port: '' }],
    ['127.0.0.1', { host: '127.0.0.1', port: '' }],
    ['[::1]:8080', { host: '[::1]', port: '8080' }],
  ])('parses %j', (entry, rule) => {
    expect(parseHostRule(entry)).toEqual({ ok: true, value: rule });
  });

  test.each([
    ['https://example.com', 'domain.shape'],
    ['example.com/path', 'domain.shape'],
    ['user@example.com', 'domain.shape'],
    ['*.example.com', 'domain.shape'],
    ['example.com.', 'domain.trailing-dot'],
    ['0x7f.1', 'domain.ip-notation'],
    ['2130706433', 'domain.ip-notation'],
    ['example.com:0', 'domain.port'],
    ['', 'domain.type'],
    ['exa mple.com', 'domain.shape'],
  ])('rejects %j with %s', (entry, rule) => {
    expect(parseHostRule(entry)).toMatchObject({ ok: false, rule });
  });
});

describe('checkUrl', () => {
  const rules: HostRule[] = [
    { host: 'allowed.com', port: '' },
    { host: 'localhost', port: '5178' },
    { host: 'xn--bcher-kva.de', port: '' },
    { host: '127.0.0.1', port: '' },
  ];

  test.each([
    ['https://allowed.com/', 'https://allowed.com/'],
    ['https://allowed.com/a/b?q=1#frag', 'https://allowed.com/a/b?q=1#frag'],
    ['http://allowed.com', 'http://allowed.com/'],
    ['HTTPS://ALLOWED.COM/Path', 'https://allowed.com/Path'], // host case does not matter; path case is kept
    ['https://allowed.com:443/', 'https://allowed.com/'], // the default port written out
    ['http://localhost:5178/x', 'http://localhost:5178/x'],
    ['https://xn--bcher-kva.de/', 'https://xn--bcher-kva.de/'],
    ['http://127.0.0.1/', 'http://127.0.0.1/'], // an IP the list names, in canonical form
    ['https://allowed.com/@evil.com', 'https://allowed.com/@evil.com'], // `@` in the path is not userinfo
  ])('accepts %j', (input, href) => {
    const result = checkUrl(input, rules);
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.href).toBe(href);
  });

  test.each([
    // userinfo
    ['https://allowed.com@evil.com/', 'url.userinfo'],
    ['https://user:pass@allowed.com/', 'url.userinfo'],
    ['https://allowed.com:443@evil.com/', 'url.userinfo'],
    // look-alike hosts
    ['https://allowed.com.evil.com/', 'url.host-not-allowed'],
    ['https://evilallowed.com/', 'url.host-not-allowed'],
    ['https://sub.allowed.com/', 'url.host-not-allowed'],
    ['https://allowed.co/', 'url.host-not-allowed'],
    // ports
    ['https://allowed.com:8443/', 'url.port-not-allowed'],
    ['http://localhost/', 'url.port-not-allowed'],
    ['http://localhost:5179/', 'url.port-not-allowed'],
    // trailing dots
    ['https://allowed.com./', 'url.trailing-dot'],
    ['http://localhost.:5178/', 'url.trailing-dot'],
    // IDN and homographs
    ['https://bücher.de/', 'url.non-canonical-host'], // Unicode must be sent as punycode
    ['https://\u0430llowed.com/', 'url.non-canonical-host'], // Cyrillic а
    ['https://allowed\u3002com/', 'url.non-canonical-host'], // ideographic full stop folds to `.`
    ['https://\uff41llowed.com/', 'url.non-canonical-host'], // fullwidth a
    ['https://%61llowed.com/', 'url.non-canonical-host'], // percent-encoded host
    ['https:allowed.com', 'url.non-canonical-host'], // no slashes
    ['https:/allowed.com', 'url.non-canonical-host'],
    // IP literals in odd notations (127.0.0.1 is allowed, but only written canonically)
    ['http://0x7f.1/', 'url.ip-notation'],
    ['http://0x7f000001/', 'url.ip-notation'],
    ['http://2130706433/', 'url.ip-notation'],
    ['http://0177.0.0.1/', 'url.ip-notation'],
    ['http://127.1/', 'url.ip-notation'],
    ['http://127.0.0.01/', 'url.ip-notation'],
    ['http://[::ffff:127.0.0.1]/', 'url.ip-notation'],
    ['http://[::1]/', 'url.host-not-allowed'],
    ['http://169.254.169.254/latest/meta-data/', 'url.host-not-allowed'],
    // schemes
    ['javascript:alert(1)', 'url.scheme'],
    ['data:text/html,<script>alert(1)</script>', 'url.scheme'],
    ['file:///etc/passwd', 'url.scheme'],
    ['blob:https://allowed.com/3c1b8d1e-0000-4000-8000-000000000000', 'url.scheme'],
    ['ftp://allowed.com/', 'url.scheme'],
    ['ws://allowed.com/', 'url.scheme'],
    ['JaVaScRiPt:alert(1)', 'url.scheme'],
    // what the parser would silently strip or reinterpret
    ['java\nscript:alert(1)', 'url.control'],
    [' https://allowed.com/', 'url.control'],
    ['https://allowed.com/\t', 'url.control'],
    ['https://allowed.com\\@evil.com/', 'url.backslash'],
    ['https:\\\\evil.com', 'url.backslash'],
    // not URLs
    ['//allowed.com/', 'url.parse'],
    ['/relative', 'url.parse'],
    ['https://', 'url.parse'],
  ])('rejects %j with %s', (input, rule) => {
    expect(checkUrl(input, rules)).toMatchObject({ ok: false, rule });
  });

  describe('allowHttp', () => {
    const hosts: HostRule[] = [{ host: 'api.example.com', port: '' }, { host: 'localhost', port: '' }, { host: '127.0.0.1', port: '' }, { host: '[::1]', port: '' }, { host: '127.0.0.2', port: '' }];
    test.each([
      // [url, 'never', 'loopback', 'always']: true when accepted
      ['https://api.example.com/', true, true, true],
      ['http://api.example.com/', false, false, true],
      ['https://localhost/', true, true, true],
      ['http://localhost/', false, true, true],
      ['http://127.0.0.1/', false, true, true],
      ['http://127.0.0.2/', false, true, true],
      ['http://[::1]/', false, true, true],
    ] as const)('%s: never %s, loopback %s, always %s', (url, never, loopback, always) => {
      const accepted = (['never', 'loopback', 'always'] as const).map((mode) => checkUrl(url, hosts, mode).ok);
      expect(accepted).toEqual([never, loopback, always]);
      for (const mode of ['never', 'loopback', 'always'] as const) {
        const result = checkUrl(url, hosts, mode);
        if (!result.ok) expect(result).toMatchObject({ rule: 'url.insecure-scheme' });
      }
    });

    test('an unlisted host is reported as not allowed, not as insecure', () => {
      expect(checkUrl('http://evil.example/', hosts, 'never')).toMatchObject({ ok: false, rule: 'url.host-not-allowed' });
    });
  });

  test('rejects non-strings and overlong URLs', () => {
    expect(checkUrl(new URL('https://allowed.com/'), rules)).toMatchObject({ ok: false, rule: 'url.type' });
    expect(checkUrl(`https://allowed.com/${'a'.repeat(2100)}`, rules)).toMatchObject({ ok: false, rule: 'url.length' });
  });

  test('an empty list allows nothing', () => {
    expect(checkUrl('https://allowed.com/', [])).toMatchObject({ ok: false, rule: 'url.host-not-allowed' });
  });
});
