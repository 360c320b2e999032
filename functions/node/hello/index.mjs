// hello, JIT row: the smallest useful function under the official Node.js runtime interface
// client — what Node's start-up and the RIC cost by themselves.
//
// payload_bytes: the C++ hello counts the raw request body. The RIC hands us the event already
// parsed, so we count the UTF-8 bytes of its compact re-serialisation. That is the same number
// whenever the caller sends compact JSON (lambench's driver always does); a payload with
// insignificant whitespace, or numbers spelled differently (1.0 vs 1), counts smaller here.
export const handler = async (event) => ({
  message: "hello",
  payload_bytes: Buffer.byteLength(JSON.stringify(event) ?? "", "utf8"),
});
