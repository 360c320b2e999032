// The AWS SDK for JavaScript v3 against `lambench serve --auth sigv4`: the right key lists and
// invokes, a wrong secret and an unknown key are refused with AWS's error types. Prints one JSON
// line; tests/service/auth_test.cpp asserts on it.
// Usage: node auth_check.mjs ENDPOINT FUNCTION KEY_ID SECRET
import { LambdaClient, ListFunctionsCommand, InvokeCommand } from "@aws-sdk/client-lambda";

const [endpoint, fn, keyId, secret] = process.argv.slice(2);
const client = (accessKeyId, secretAccessKey) =>
  new LambdaClient({ endpoint, region: "us-east-1", credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });

const failure = async (c) => {
  try {
    await c.send(new ListFunctionsCommand({}));
    return { name: "no error" };
  } catch (e) {
    return { name: e.name, status: e.$metadata?.httpStatusCode ?? null, message: e.message };
  }
};

const out = {};
const good = client(keyId, secret);
const list = await good.send(new ListFunctionsCommand({}));
out.functions = list.Functions.map((f) => f.FunctionName);
const inv = await good.send(new InvokeCommand({
  FunctionName: fn,
  Payload: new TextEncoder().encode(JSON.stringify({ from: "sdk", text: "h\u00e9llo / +=&" })),
}));
out.invokeStatus = inv.StatusCode;
out.payload = new TextDecoder().decode(inv.Payload);
out.wrongSecret = await failure(client(keyId, secret + "x"));
out.unknownKey = await failure(client("AKIDNOBODYKNOWS", secret));
console.log(JSON.stringify(out));
