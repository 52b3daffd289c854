// Validation of OTLP/HTTP JSON logs requests (ExportLogsServiceRequest), as a collector's otlphttp
// receiver reads them, plus what quickcage promises on top (event.name, log.record.uid, severity
// numbers, timestamps). No Node imports: the browser unit tests use it too.
const VALUE_KEYS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];
const SEVERITY_TEXTS = { low: 9, medium: 13, high: 17, critical: 21 };

/** Problems of one AnyValue, or [] (an empty object is the OTLP empty value). */
function checkAnyValue(value, where) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: not an AnyValue object`];
  const keys = Object.keys(value);
  if (keys.length === 0) return [];
  if (keys.length !== 1 || !VALUE_KEYS.includes(keys[0])) return [`${where}: AnyValue with keys ${keys.join(',')}`];
  const [key] = keys;
  const v = value[key];
  if (key === 'stringValue' && typeof v !== 'string') return [`${where}: stringValue is ${typeof v}`];
  if (key === 'intValue' && !(Number.isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v)))) return [`${where}: intValue ${v}`];
  if (key === 'arrayValue') return (v.values ?? []).flatMap((item, i) => checkAnyValue(item, `${where}[${i}]`));
  if (key === 'kvlistValue') return checkAttributes(v.values ?? [], where);
  return [];
}

function checkAttributes(attributes, where) {
  if (!Array.isArray(attributes)) return [`${where}: attributes not an array`];
  return attributes.flatMap((kv, i) => typeof kv?.key !== 'string' || kv.key === ''
    ? [`${where}.attributes[${i}]: no key`]
    : checkAnyValue(kv.value, `${where}.${kv.key}`));
}

const attr = (attributes, key) => attributes.find((kv) => kv.key === key)?.value;

/**
 * Validates an ExportLogsServiceRequest (JSON). Returns `{ problems, records }` where records are
 * `{ uid, eventName, severityNumber, attributes }`.
 */
export function validateLogsRequest(body) {
  const problems = [];
  const records = [];
  if (typeof body !== 'object' || body === null || !Array.isArray(body.resourceLogs)) return { problems: ['no resourceLogs array'], records };
  body.resourceLogs.forEach((rl, r) => {
    const resourceAttrs = rl.resource?.attributes ?? [];
    problems.push(...checkAttributes(resourceAttrs, `resourceLogs[${r}].resource`));
    if (typeof attr(resourceAttrs, 'service.name')?.stringValue !== 'string') problems.push(`resourceLogs[${r}]: no service.name`);
    if (!Array.isArray(rl.scopeLogs)) problems.push(`resourceLogs[${r}]: no scopeLogs`);
    (rl.scopeLogs ?? []).forEach((sl, s) => {
      const where = `resourceLogs[${r}].scopeLogs[${s}]`;
      if (sl.scope?.name !== 'quickcage') problems.push(`${where}: scope.name ${sl.scope?.name}`);
      if (!Array.isArray(sl.logRecords)) problems.push(`${where}: no logRecords`);
      (sl.logRecords ?? []).forEach((lr, l) => {
        const at = `${where}.logRecords[${l}]`;
        if (!/^\d{19}$/.test(String(lr.timeUnixNano))) problems.push(`${at}: timeUnixNano ${lr.timeUnixNano}`);
        if (!/^\d{19}$/.test(String(lr.observedTimeUnixNano))) problems.push(`${at}: observedTimeUnixNano ${lr.observedTimeUnixNano}`);
        if (SEVERITY_TEXTS[lr.severityText] !== lr.severityNumber) problems.push(`${at}: severity ${lr.severityText}/${lr.severityNumber}`);
        if (typeof lr.eventName !== 'string' || !lr.eventName.startsWith('quickcage.')) problems.push(`${at}: eventName ${lr.eventName}`);
        problems.push(...checkAttributes(lr.attributes, at));
        if (lr.body !== undefined) problems.push(...checkAnyValue(lr.body, `${at}.body`));
        const attributes = lr.attributes ?? [];
        const uid = attr(attributes, 'log.record.uid')?.stringValue;
        if (typeof uid !== 'string' || uid.length === 0) problems.push(`${at}: no log.record.uid`);
        if (attr(attributes, 'event.name')?.stringValue !== lr.eventName) problems.push(`${at}: event.name differs from eventName`);
        records.push({ uid, eventName: lr.eventName, severityNumber: lr.severityNumber, attributes });
      });
    });
  });
  return { problems, records };
}
