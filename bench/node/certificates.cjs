// Times tlscope-core compiled to wasm32 beside @peculiar/x509, in the same node process, back to
// back, over several rounds; prints one JSON object of medians (microseconds per operation).
//
// usage: node certificates.cjs WASM_PKG_DIR BUNDLE.pem CHAIN_DIR ROUNDS
//   WASM_PKG_DIR  wasm-bindgen --target nodejs output of bench/wasm
//   BUNDLE.pem    a CA bundle (the system's Mozilla-derived ca-certificates)
//   CHAIN_DIR     leaf.der, intermediate.der, root.der for host bench.example.com
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { webcrypto } = require("node:crypto");
const x509 = require("@peculiar/x509");

x509.cryptoProvider.set(webcrypto);

const [pkgDir, bundlePath, chainDir, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 7);
const tlscope = require(path.resolve(pkgDir, "tlscope_bench_wasm.js"));

const pem = fs.readFileSync(bundlePath, "utf8");
const ders = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
  .map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
const leaf = fs.readFileSync(path.join(chainDir, "leaf.der"));
const intermediate = fs.readFileSync(path.join(chainDir, "intermediate.der"));
const root = fs.readFileSync(path.join(chainDir, "root.der"));
const now = Date.now() / 1000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const micros = (start) => Number(process.hrtime.bigint() - start) / 1000;

// What the dashboard shows for a certificate, through @peculiar/x509's API.
async function peculiarDetails(der) {
  const cert = new x509.X509Certificate(der);
  const seen = [cert.subject, cert.issuer, cert.serialNumber, cert.notBefore, cert.notAfter,
    cert.signatureAlgorithm, cert.publicKey.algorithm];
  for (const ext of cert.extensions) seen.push(ext.type, ext.critical);
  seen.push(await cert.getThumbprint("SHA-1"), await cert.getThumbprint("SHA-256"));
  return seen.length;
}

async function peculiarValidate() {
  const l = new x509.X509Certificate(leaf);
  const i = new x509.X509Certificate(intermediate);
  const r = new x509.X509Certificate(root);
  const builder = new x509.X509ChainBuilder({ certificates: [i, r] });
  const chain = await builder.build(l);
  const date = new Date();
  let ok = chain.length === 3;
  for (let n = 0; n + 1 < chain.length; n++) {
    ok = ok && (await chain[n].verify({ publicKey: chain[n + 1].publicKey, date }));
  }
  ok = ok && (await r.verify({ date }));
  const san = l.getExtension(x509.SubjectAlternativeNameExtension);
  return ok && san.names.items.some((n) => n.value === "bench.example.com");
}

async function main() {
  const prepared = new tlscope.PreparedChain(leaf, intermediate, root, "bench.example.com", now);
  if (!prepared.validate()) throw new Error("tlscope (wasm) refused the benchmark chain");
  if (!(await peculiarValidate())) throw new Error("@peculiar/x509 refused the benchmark chain");
  for (const der of ders) {
    if (tlscope.decode_details(der) !== 1) throw new Error("tlscope (wasm) refused a bundle certificate");
  }
  const chainIterations = 200;
  const samples = { wasmDecode: [], peculiarDecode: [], wasmValidate: [], peculiarValidate: [] };
  for (let round = 0; round < rounds; round++) {
    let t = process.hrtime.bigint();
    for (const der of ders) tlscope.decode_details(der);
    samples.wasmDecode.push(micros(t) / ders.length);
    t = process.hrtime.bigint();
    for (const der of ders) await peculiarDetails(der);
    samples.peculiarDecode.push(micros(t) / ders.length);
    t = process.hrtime.bigint();
    for (let n = 0; n < chainIterations; n++) prepared.validate();
    samples.wasmValidate.push(micros(t) / chainIterations);
    t = process.hrtime.bigint();
    for (let n = 0; n < chainIterations; n++) await peculiarValidate();
    samples.peculiarValidate.push(micros(t) / chainIterations);
  }
  const out = { node: process.version, certificates: ders.length, rounds };
  for (const [k, v] of Object.entries(samples)) out[k] = median(v);
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
