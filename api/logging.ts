// Logger settings shared by the API and worker processes. Redaction is a
// backstop: code never logs request bodies or credentials on purpose, and
// these paths keep an accidental `log.info({ sender })` from leaking one.

export const redactedPaths = [
  'req.headers.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'config.headers',
  'err.config',
  '*.apiSecret',
  '*.privateKey',
  '*.signatureSecret',
  '*.api_secret_sealed',
  '*.private_key_sealed',
  '*.signature_secret_sealed',
  'apiSecret',
  'privateKey',
  'signatureSecret',
];

export function loggerOptions(level: string) {
  return { level, redact: { paths: redactedPaths, censor: '[redacted]' } };
}
