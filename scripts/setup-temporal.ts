// `npm install` runs this (postinstall); `npm start` and `npm test` call
// ensureBinary() again lazily, so a skipped postinstall heals itself.
import { ensureBinary, TemporalBinaryUnavailable, temporalCli, temporalTestServer } from './temporal-binaries.ts';

try {
  for (const spec of [temporalCli, temporalTestServer]) {
    const path = await ensureBinary(spec);
    console.log(`${spec.label} ${spec.version}: ${path}`);
  }
} catch (error) {
  if (!(error instanceof TemporalBinaryUnavailable)) throw error;
  // Not fatal for the install: npm start and npm test try every route again and stop with this message.
  console.warn(`warning: ${error.message}`);
}
