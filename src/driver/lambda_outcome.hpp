// An Invoke answer as the driver records it, shared by every target that speaks the Lambda API
// (the local service, endpoint=URL, aws): the function's error from its body, the REPORT line
// from the log tail (the same parser for every target).
#pragma once

#include "aws/lambda_client.hpp"
#include "driver/target.hpp"

namespace lambench::driver {

invoke_outcome outcome_of(const aws::invoke_result& r);

}  // namespace lambench::driver
