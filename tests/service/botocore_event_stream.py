"""The service's event-stream encoder against botocore's decoder and the Lambda model.

Runs tests/service/event_stream_sample (given as argv[1]), then parses its output as botocore
parses an InvokeWithResponseStream answer: EventStreamBuffer checks the prelude and message
CRC32s and lengths, and EventStream with the Lambda service model turns the messages into
PayloadChunk and InvokeComplete events. Exits non-zero on any difference.
"""
import subprocess
import sys

import botocore.session
from botocore.eventstream import EventStream, EventStreamBuffer
from botocore.model import OperationNotFoundError
from botocore.parsers import EventStreamJSONParser


class RawStream:
    def __init__(self, data):
        self.data = data

    def stream(self):
        # In uneven pieces, as a socket would deliver them.
        for at in range(0, len(self.data), 777):
            yield self.data[at:at + 777]

    def close(self):
        pass


def main():
    data = subprocess.run([sys.argv[1]], check=True, capture_output=True).stdout

    buf = EventStreamBuffer()
    buf.add_data(data)
    messages = list(buf)
    assert len(messages) == 5, len(messages)
    for m in messages:
        assert m.headers[":message-type"] == "event", m.headers
    assert messages[0].headers[":event-type"] == "PayloadChunk"
    assert messages[0].headers[":content-type"] == "application/octet-stream"
    assert messages[3].headers[":content-type"] == "application/json"

    model = botocore.session.get_session().get_service_model("lambda")
    try:
        op = model.operation_model("InvokeWithResponseStream")
    except OperationNotFoundError:
        # botocore before 1.29.8x (Debian 12 has 1.29.27) lacks the operation: the framing
        # and CRCs were checked above; the events' shapes need a newer botocore.
        print("botocore", botocore.__version__, "has no InvokeWithResponseStream; framing checked")
        return
    shape = op.output_shape.members["EventStream"]
    events = list(EventStream(RawStream(data), shape, EventStreamJSONParser(),
                              "InvokeWithResponseStream"))
    expected = [
        {"PayloadChunk": {"Payload": b"chunk 0\n"}},
        {"PayloadChunk": {"Payload": bytes(range(256))}},
        {"PayloadChunk": {"Payload": b"x" * 70000}},
        {"InvokeComplete": {"ErrorCode": "Unhandled", "ErrorDetails": '{"errorMessage":"m"}',
                            "LogResult": "bG9n"}},
        {"InvokeComplete": {}},
    ]
    assert events == expected, events
    print("botocore decoded", len(events), "events")


if __name__ == "__main__":
    main()
