// Drives the local service with the real AWS SDK v3 client. Prints one JSON line with what it
// saw; the C++ e2e test asserts on it. Usage: node sdk_check.mjs ENDPOINT FUNCTION
import { LambdaClient, InvokeCommand, GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";

const [endpoint, fn] = process.argv.slice(2);
const client = new LambdaClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "y" },
  maxAttempts: 1,
});

const out = {};
const inv = await client.send(new InvokeCommand({
  FunctionName: fn,
  Payload: new TextEncoder().encode(JSON.stringify({ from: "sdk" })),
  LogType: "Tail",
}));
out.status = inv.StatusCode;
out.payload = new TextDecoder().decode(inv.Payload);
out.functionError = inv.FunctionError ?? null;
out.executedVersion = inv.ExecutedVersion;
out.log = Buffer.from(inv.LogResult ?? "", "base64").toString();

const cfg = await client.send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
out.memory = cfg.MemorySize;

try {
  await client.send(new InvokeCommand({ FunctionName: "does-not-exist" }));
  out.missing = "no error";
} catch (e) {
  out.missing = e.name;
  out.missingStatus = e.$metadata?.httpStatusCode;
}
console.log(JSON.stringify(out));
