#!/usr/bin/env python3
"""Plain SQS client of tests/bench/sqs_bench.sh (AWS JSON protocol, unsigned:
the emulator does not check signatures). Loopback endpoints only.

  sqs_bench_client.py ENDPOINT create QUEUE            -> prints the queue URL
  sqs_bench_client.py ENDPOINT fill URL COUNT [BYTES]  SendMessageBatch, 4 senders
  sqs_bench_client.py ENDPOINT drain URL COUNT RECEIVERS TIMEOUT_S
        ReceiveMessage + DeleteMessageBatch with RECEIVERS long-polling threads
        until COUNT distinct messages were deleted or TIMEOUT_S passed; prints
        "BENCH received=.. distinct=.. seconds=.. msgs_per_s=.."
  sqs_bench_client.py ENDPOINT left URL                -> visible + in-flight messages
  sqs_bench_client.py ENDPOINT delete URL              DeleteQueue
"""

import http.client
import json
import sys
import threading
import time
import urllib.parse


class Sqs:
    """One keep-alive connection (one per thread)."""

    def __init__(self, endpoint):
        url = urllib.parse.urlsplit(endpoint)
        if url.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"sqs_bench_client: {endpoint} is not a loopback endpoint")
        self.host, self.port = url.hostname, url.port or 80
        self.conn = None

    def call(self, action, request, timeout=30):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                self.conn.request("POST", "/", body=json.dumps(request), headers={
                    "Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "AmazonSQS." + action})
                response = self.conn.getresponse()
                body = response.read()
                if response.status >= 300:
                    raise RuntimeError(f"{action}: HTTP {response.status}: {body[:300]!r}")
                return json.loads(body) if body else {}
            except (http.client.HTTPException, OSError):
                self.conn = None  # reconnect and retry (a closed keep-alive connection)
                if attempt == 2:
                    raise
        return {}


def create(endpoint, queue):
    answer = Sqs(endpoint).call("CreateQueue", {"QueueName": queue})
    print(answer["QueueUrl"])


def body_of(n, size):
    body = {"n": n, "order": f"bench-{n}", "currency": "USD", "note": ""}
    pad = size - len(json.dumps(body))
    body["note"] = "x" * max(pad, 0)
    return json.dumps(body)


def fill(endpoint, url, count, size, senders=4):
    next_n = [0]
    lock = threading.Lock()
    errors = []

    def sender():
        sqs = Sqs(endpoint)
        while True:
            with lock:
                start = next_n[0]
                if start >= count:
                    return
                next_n[0] = min(start + 10, count)
            entries = [{"Id": f"m{n}", "MessageBody": body_of(n, size)}
                       for n in range(start, min(start + 10, count))]
            try:
                answer = sqs.call("SendMessageBatch", {"QueueUrl": url, "Entries": entries})
                if answer.get("Failed"):
                    errors.append(f"SendMessageBatch failed entries: {answer['Failed'][:2]}")
                    return
            except Exception as e:  # noqa: BLE001 - reported and the fill fails
                errors.append(str(e))
                return

    started = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit("sqs_bench_client fill: " + errors[0])
    seconds = time.monotonic() - started
    print(f"filled {count} messages of ~{size} bytes in {seconds:.1f} s "
          f"({count / seconds:.0f} msgs/s with {senders} batch senders)")


def drain(endpoint, url, count, receivers, timeout_s):
    deadline = time.monotonic() + timeout_s
    lock = threading.Lock()
    seen = set()
    stats = {"received": 0, "first": None, "last": None}
    errors = []

    def receiver():
        sqs = Sqs(endpoint)
        while time.monotonic() < deadline:
            with lock:
                if len(seen) >= count:
                    return
            try:
                # The same request as the storeflow source makes.
                answer = sqs.call("ReceiveMessage", {
                    "QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1,
                    "VisibilityTimeout": 30, "AttributeNames": ["All"],
                    "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]})
                messages = answer.get("Messages", [])
                if not messages:
                    continue
                for m in messages:
                    json.loads(m["Body"])  # what a consumer does with it
                entries = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]}
                           for i, m in enumerate(messages)]
                deleted = sqs.call("DeleteMessageBatch", {"QueueUrl": url, "Entries": entries})
                if deleted.get("Failed"):
                    errors.append(f"DeleteMessageBatch failed entries: {deleted['Failed'][:2]}")
                now = time.monotonic()
                with lock:
                    stats["received"] += len(messages)
                    seen.update(m["MessageId"] for m in messages)
                    stats["last"] = now
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(str(e))
                return

    sqs = Sqs(endpoint)
    started = time.monotonic()
    threads = [threading.Thread(target=receiver) for _ in range(receivers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    del sqs
    last = stats["last"] or time.monotonic()
    seconds = max(last - started, 1e-9)
    print(f"BENCH received={stats['received']} distinct={len(seen)} seconds={seconds:.2f} "
          f"msgs_per_s={len(seen) / seconds:.0f}")
    if errors:
        print("errors: " + errors[0], file=sys.stderr)
        sys.exit(1)


def left(endpoint, url):
    answer = Sqs(endpoint).call("GetQueueAttributes", {
        "QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages",
                                            "ApproximateNumberOfMessagesNotVisible"]})
    attributes = answer.get("Attributes", {})
    print(int(attributes.get("ApproximateNumberOfMessages", 0)) +
          int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)))


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    endpoint, command, args = argv[1], argv[2], argv[3:]
    if command == "create" and len(args) == 1:
        create(endpoint, args[0])
    elif command == "fill" and len(args) in (2, 3):
        fill(endpoint, args[0], int(args[1]), int(args[2]) if len(args) == 3 else 512)
    elif command == "drain" and len(args) == 4:
        drain(endpoint, args[0], int(args[1]), int(args[2]), float(args[3]))
    elif command == "left" and len(args) == 1:
        left(endpoint, args[0])
    elif command == "delete" and len(args) == 1:
        Sqs(endpoint).call("DeleteQueue", {"QueueUrl": args[0]})
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
