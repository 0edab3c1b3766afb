// Starts the fauxqs SQS emulator bound to 127.0.0.1 only.
//
// fauxqs's own CLI (startFauxqs) always listens on 0.0.0.0, so this launcher
// builds the same Fastify app with fauxqs's exported buildApp and listens on
// loopback. FAUXQS_HOST is deliberately not set: queue URLs then echo the
// request's Host header (http://127.0.0.1:PORT/000000000000/name), which is
// what the SDK was pointed at.
//
// Usage: FAUXQS_PORT=N node fauxqs-loopback.mjs
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.env.FAUXQS_PORT ?? "", 10);
if (!Number.isInteger(port) || port <= 0) {
  console.error("fauxqs-loopback: set FAUXQS_PORT to a free port");
  process.exit(2);
}
const host = process.env.FAUXQS_BIND ?? "127.0.0.1";

const app = buildApp({ logger: process.env.FAUXQS_LOGGER !== "false" });
const address = await app.listen({ port, host });
console.log(`fauxqs listening on ${address}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
