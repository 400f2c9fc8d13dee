// A national system written in JavaScript: talk to a RILO Net node over mutual TLS with
// @grpc/grpc-js, using proto/ exactly as it is in the repository, and check every record it
// gets back with Node's own Ed25519 (crypto.verify) before reading it.
//
//   npm install @grpc/grpc-js @grpc/proto-loader protobufjs
//   node node-client.mjs NODE_DIR PROTO_DIR
//
// NODE_DIR is a folder made by `rilo-node init` and served by `rilo-node serve` (the script reads
// serve.json, tls/ca.pem, tls/client.pem, tls/client.key and keys/signing.pub from it);
// PROTO_DIR is the repository's proto/ folder. See docs/api.md.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";

const [nodeDir, protoDir] = process.argv.slice(2);
if (!nodeDir || !protoDir) {
  console.error("usage: node node-client.mjs NODE_DIR PROTO_DIR");
  process.exit(2);
}
const read = (p) => fs.readFileSync(path.join(nodeDir, p));

// -- 1. The API, loaded from proto/ as it is --------------------------------------------------
// The import paths inside the .proto files start at proto/ (rilo/v1/..., the package's folder),
// so proto/ is the include directory. keepCase keeps the snake_case field names; enums arrive as names.
const NODE_PROTO = "rilo/v1/node.proto";
const packageDefinition = protoLoader.loadSync(NODE_PROTO, {
  includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
const rilo = grpc.loadPackageDefinition(packageDefinition).rilo.v1;

// protobufjs decodes the signed bytes (header, body, annex) once the signature has checked out.
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(protoDir, target);
root.loadSync(NODE_PROTO, { keepCase: true });
const RecordHeader = root.lookupType("rilo.v1.RecordHeader");
const SeizureCase = root.lookupType("rilo.v1.SeizureCase");
const SeizureAnnex = root.lookupType("rilo.v1.SeizureAnnex");
const asObject = (type, bytes) =>
  type.toObject(type.decode(bytes), { enums: String, longs: String, bytes: String, defaults: false });

// -- 2. Mutual TLS: the network CA, our client certificate (CN client:<node>:<name>) -----------
const serve = JSON.parse(read("serve.json"));          // written by `rilo-node serve`
const nodeId = serve.node;
const credentials = grpc.credentials.createSsl(read("tls/ca.pem"), read("tls/client.key"), read("tls/client.pem"));
// The node's certificate names "<id>.node.rilo" (and 127.0.0.1); check the name, whatever the address.
const options = { "grpc.ssl_target_name_override": `${nodeId}.node.rilo`, "grpc.default_authority": `${nodeId}.node.rilo` };
const records = new rilo.RecordService(serve.address, credentials, options);
const search = new rilo.SearchService(serve.address, credentials, options);
const admin = new rilo.NodeAdminService(serve.address, credentials, options);

const call = (client, method, request) =>
  new Promise((resolve, reject) =>
    client[method](request, { deadline: Date.now() + 10_000 }, (err, response) => (err ? reject(err) : resolve(response))));

// -- 3. Health check (grpc.health.v1), without a .proto: the request is empty and a SERVING ----
// answer is the two bytes 08 01 (field 1 = status, varint 1).
async function health() {
  const raw = new grpc.Client(serve.address, credentials, options);
  const bytes = await new Promise((resolve, reject) =>
    raw.makeUnaryRequest("/grpc.health.v1.Health/Check", (b) => b, (b) => b, Buffer.alloc(0),
      (err, res) => (err ? reject(err) : resolve(res))));
  raw.close();
  return bytes.equals(Buffer.from([0x08, 0x01])) ? "SERVING" : `not serving (${bytes.toString("hex")})`;
}

// -- 4. Verify, then parse -------------------------------------------------------------------------
// The node's public signing key as the directory lists it: base64 of the raw 32-byte Ed25519 key.
const rawPublicKey = Buffer.from(read("keys/signing.pub").toString().trim(), "base64");
const publicKey = crypto.createPublicKey({
  key: { kty: "OKP", crv: "Ed25519", x: rawPublicKey.toString("base64url") }, format: "jwk",
});
const keyId = `${nodeId}:${crypto.createHash("sha256").update(rawPublicKey).digest("hex").slice(0, 16)}`;
const DOMAIN = Buffer.concat([Buffer.from("RILO-NET/v1/record-header", "ascii"), Buffer.from([0x00])]);
const sha256 = (b) => crypto.createHash("sha256").update(b).digest();

function verifyRecord(record) {
  // a) pick the key by the unsigned hint, b) check the signature over the bytes AS RECEIVED,
  // c) only then parse the header, d) check that the header names the same key and that body and
  // annex are the ones it commits to.
  if (record.key_id !== keyId) throw new Error(`unknown signing key ${record.key_id}`);
  if (!crypto.verify(null, Buffer.concat([DOMAIN, record.header]), publicKey, record.signature)) {
    throw new Error("bad signature");
  }
  const header = RecordHeader.decode(record.header);
  if (header.key_id !== record.key_id) throw new Error("header names another key");
  if (!sha256(record.body).equals(Buffer.from(header.body_sha256))) throw new Error("body does not match the header");
  if (record.annex.length && !sha256(record.annex).equals(Buffer.from(header.annex_sha256))) {
    throw new Error("annex does not match the header");
  }
  return RecordHeader.toObject(header, { enums: String, longs: String, bytes: String, defaults: false });
}

// -- 5. The conversation ---------------------------------------------------------------------------
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const recordId = crypto.randomUUID();                    // our own id: retries are then idempotent
const submission = {
  record_id: recordId,
  seizure: {
    case_ref: "HH-2026-0142", seizure_date: yesterday, country: nodeId.toUpperCase(),
    customs_office: "Hamburg port", location_type: "LOCATION_TYPE_SEAPORT", direction: "DIRECTION_IMPORT",
    detection: "DETECTION_RISK_PROFILING", conveyance: "CONVEYANCE_VESSEL", concealment: "CONCEALMENT_IN_FREIGHT",
    departure_country: "EC", transit_countries: ["PA"], destination_country: "DE",
    items: [{ section: "SECTION_DRUGS", category: "CATEGORY_COCAINE", commodity: "cocaine hydrochloride",
              hs_code: "293979", quantity: 120.5, unit: "UNIT_KG" }],
    description: "cocaine in a container of bananas",
    evaluation: { source: "SOURCE_RELIABILITY_B", information: "INFORMATION_ACCURACY_2" },
  },
  policy: { share: { scope: "SCOPE_REGION" } },           // the rest: the node's defaults
  annex: { offenders: [{ nationality: "NL", gender: "GENDER_M", birth_year: 1985, role: "courier" }] },
};

console.log(`health: ${await health()}`);
const status = await call(admin, "GetStatus", {});
console.log(`node ${status.node_id} (${status.role}, ${status.region}), signing key ${status.signing_key_id}`);

const first = await call(records, "SubmitSeizure", { submission });
console.log(`submitted: ${JSON.stringify(first.key)} created=${first.created}`);
const again = await call(records, "SubmitSeizure", { submission });
console.log(`submitted again (a retry): ${JSON.stringify(again.key)} created=${again.created}`);

try {
  const bad = structuredClone(submission);
  bad.record_id = crypto.randomUUID();
  bad.seizure.items[0].category = "CATEGORY_GOLD";     // a category of AML_CTF, not of DRUGS
  await call(records, "SubmitSeizure", { submission: bad });
  console.log("the bad seizure was accepted (it should not have been)");
} catch (err) {
  console.log(`refused: ${grpc.status[err.code]} field=${err.metadata.get("rilo-field")[0]} ` +
              `message=${JSON.stringify(err.details)}`);
}

const answer = await call(search, "Search", {
  filter: { category: "CATEGORY_COCAINE", text: "bananas" }, scope: "QUERY_SCOPE_LOCAL", limit: 10,
});
console.log(`search: query ${answer.query_id}, complete=${answer.complete}, ${answer.hits.length} hit(s); ` +
            answer.nodes.map((n) => `${n.node} ${n.status} ${n.hits} hits ${n.ms} ms`).join(", "));
// Every held hit carries the signed record; a notice (held=false) carries only the summary.
// This script knows only its own node's key; a real client takes every origin's key from the
// directory ([nodes.<id>] signing_key) and verifies every held hit.
for (const h of answer.hits.filter((h) => h.held && h.origin === nodeId)) verifyRecord(h.record);
const hit = answer.hits.find((h) => h.record_id === recordId);
const header = verifyRecord(hit.record);
console.log(`signature verified with ${keyId}; header: ${JSON.stringify(header)}`);
const body = asObject(SeizureCase, hit.record.body);
console.log(`body: ${body.seizure_date} ${body.country} ${body.items[0].category} ${body.items[0].quantity} ` +
            `${body.items[0].unit}, route ${[body.departure_country, ...body.transit_countries, body.destination_country].join("→")}`);
console.log(`annex: ${JSON.stringify(asObject(SeizureAnnex, hit.record.annex))}`);

const forged = Buffer.from(hit.record.header);
forged[forged.length - 1] ^= 0x01;                     // one bit of the signed header changed
console.log(`a header changed by one bit verifies: ${crypto.verify(null, Buffer.concat([DOMAIN, forged]), publicKey, hit.record.signature)}`);

for (const client of [records, search, admin]) client.close();
