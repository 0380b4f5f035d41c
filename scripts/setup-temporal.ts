// `npm install` runs this (postinstall); `npm start` and `npm test` call
// ensureBinary() again lazily, so a skipped postinstall heals itself.
// SKIP_TEMPORAL_SETUP=1 skips it: production images (Dockerfile) talk to a
// Temporal cluster and need neither the dev server nor the test server.
// The binaries module is imported only past that check, so the image's install
// step needs this one file.
if (process.env.SKIP_TEMPORAL_SETUP === '1') {
  console.log('SKIP_TEMPORAL_SETUP=1: not installing the Temporal CLI and test server.');
} else {
  const { ensureBinary, TemporalBinaryUnavailable, temporalCli, temporalTestServer } = await import('./temporal-binaries.ts');
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
}
