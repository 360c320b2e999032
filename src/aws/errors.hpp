// AWS error answers turned into api_error (code + message, as AWS sends them), one function per
// wire format. Both accept any body: a non-AWS answer (an HTML proxy page, nothing) still gives
// "HTTP<status>" and the start of the body.
#pragma once

#include "aws/http_transport.hpp"
#include "aws/lambda_client.hpp"  // api_error

namespace lambench::aws {

// JSON protocols (Lambda REST, Secrets Manager): X-Amzn-ErrorType or the body's __type (the
// part after '#', before ':'), message from message / Message / errorMessage.
api_error json_error(const http_response& r);

// Query protocols: <ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>
// (CloudFormation, RDS, STS) and EC2's <Response><Errors><Error>…; the first <Error> anywhere wins.
api_error xml_error(const http_response& r);

}  // namespace lambench::aws
