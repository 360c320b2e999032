// InvokeWithResponseStream through the real AWS SDK v3 client: collects the PayloadChunk events
// (with their arrival times) and the InvokeComplete event, for a streaming function and for one
// that fails mid-stream. Prints one JSON line; stream_test.cpp asserts on it.
// Usage: node stream_check.mjs ENDPOINT FUNCTION
import { LambdaClient, InvokeWithResponseStreamCommand } from "@aws-sdk/client-lambda";

const [endpoint, fn] = process.argv.slice(2);
const client = new LambdaClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "y" },
  maxAttempts: 1,
});

async function stream(payload) {
  const start = performance.now();
  const res = await client.send(new InvokeWithResponseStreamCommand({
    FunctionName: fn,
    Payload: new TextEncoder().encode(JSON.stringify(payload)),
    LogType: "Tail",
  }));
  const chunks = [], times = [];
  let complete = null;
  for await (const ev of res.EventStream) {
    if (ev.PayloadChunk) {
      chunks.push(new TextDecoder().decode(ev.PayloadChunk.Payload));
      times.push(performance.now() - start);
    } else if (ev.InvokeComplete) {
      complete = ev.InvokeComplete;
    }
  }
  return { status: res.StatusCode, chunks, times, complete };
}

const ok = await stream({ chunks: 3, delay_ms: 300 });
const failed = await stream({ chunks: 3, delay_ms: 0, fail_after: 1 });
console.log(JSON.stringify({
  status: ok.status,
  chunks: ok.chunks,
  firstMs: ok.times[0],
  lastMs: ok.times[ok.times.length - 1],
  complete: ok.complete,
  log: Buffer.from(ok.complete?.LogResult ?? "", "base64").toString(),
  failedChunks: failed.chunks,
  failed: failed.complete,
}));
