// A gRPC client with no gRPC library, for the hostile-input tests: it frames a body the caller
// made (e.g. a gzip bomb, which no gRPC library would send as it is) and posts it over Node's
// built-in HTTP/2 client.
//   node raw_grpc.mjs HOST:PORT METHOD_PATH BODY_FILE ENCODING COPIES
// ENCODING is the grpc-encoding header (identity, gzip, deflate, ...); with anything but identity
// the message's compressed flag is set. COPIES requests go out at once on one connection. Prints
// one line per request, "grpc-status N message", in the order they were sent; exit 0 when every
// request got an answer, 1 otherwise (e.g. the connection dropped).
import { readFileSync } from "node:fs";
import http2 from "node:http2";

const [address, path, bodyFile, encoding, copies] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const frame = Buffer.alloc(5 + body.length);
frame.writeUInt8(encoding === "identity" ? 0 : 1, 0);
frame.writeUInt32BE(body.length, 1);
body.copy(frame, 5);

const session = http2.connect(`http://${address}`);
session.on("error", () => {});
const timer = setTimeout(() => {
  console.log("no answer within 60 s");
  process.exit(1);
}, 60000);

function send() {
  return new Promise((resolve) => {
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-encoding": encoding,
      "grpc-accept-encoding": "identity,gzip",
    });
    let status = null;
    let message = "";
    const take = (headers) => {
      if (headers["grpc-status"] !== undefined) {
        status = headers["grpc-status"];
        message = decodeURIComponent(headers["grpc-message"] ?? "");
      }
    };
    request.on("response", take);
    request.on("trailers", take);
    request.on("data", () => {});
    request.on("error", (e) => resolve(`error ${e.code ?? e.message}`));
    request.on("close", () =>
      resolve(status === null ? "no grpc-status" : `grpc-status ${status} ${message}`));
    request.end(frame);
  });
}

const results = await Promise.all(Array.from({ length: Number(copies) }, send));
clearTimeout(timer);
session.close();
for (const r of results) console.log(r);
process.exit(results.every((r) => r.startsWith("grpc-status")) ? 0 : 1);
