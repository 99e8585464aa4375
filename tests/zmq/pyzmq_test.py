#!/usr/bin/python3
"""An independent client (pyzmq) against ZmqServer: DEALER, REQ, malformed frames,
too_large and the token. Usage: pyzmq_test.py PATH/TO/zmq_echo_server"""

import json
import subprocess
import sys
import unittest

import zmq

SERVER = None
TIMEOUT_MS = 10000


def start(*args):
    proc = subprocess.Popen([SERVER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    endpoint = proc.stdout.readline().strip()
    assert endpoint.startswith("tcp://"), endpoint
    return proc, endpoint


def stop(proc):
    proc.stdin.close()
    proc.wait(timeout=10)


class ZmqProtocolTest(unittest.TestCase):
    def setUp(self):
        self.proc, self.endpoint = start("--token", "s3cret", "--max-bytes", "4096")
        self.ctx = zmq.Context()

    def tearDown(self):
        self.ctx.destroy(linger=0)
        stop(self.proc)

    def socket(self, kind=zmq.DEALER):
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
        s.connect(self.endpoint)
        return s

    def call(self, s, frames):
        s.send_multipart([f if isinstance(f, bytes) else f.encode() for f in frames])
        reply = s.recv_multipart()
        return reply, json.loads(reply[-1])

    def test_dealer_round_trip(self):
        s = self.socket()
        frames, reply = self.call(s, [json.dumps(
            {"id": "p1", "cmd": "echo", "args": {"a": [1, 2]}, "key": "k", "token": "s3cret"})])
        self.assertEqual(len(frames), 1)
        self.assertEqual(reply["id"], "p1")
        self.assertTrue(reply["ok"])
        self.assertEqual(reply["result"]["args"], {"a": [1, 2]})
        self.assertEqual(reply["result"]["origin"], "zmq")

    def test_req_round_trip(self):
        s = self.socket(zmq.REQ)
        for i in range(3):
            _, reply = self.call(s, [json.dumps({"id": i, "cmd": "later", "token": "s3cret"})])
            self.assertEqual(reply["id"], i)
            self.assertTrue(reply["ok"])

    def test_malformed_frames(self):
        s = self.socket()
        cases = [
            (b"\x00\x01garbage", "not valid JSON"),
            (b"[]", "must be a JSON object"),
            (b'{"token":"s3cret"}', "no 'cmd'"),
            (b'{"cmd":1,"token":"s3cret"}', "'cmd' must be a string"),
            (b'{"cmd":"echo","args":5,"token":"s3cret"}', "'args' must be an object"),
        ]
        for body, expected in cases:
            _, reply = self.call(s, [body])
            self.assertFalse(reply["ok"], body)
            self.assertEqual(reply["error"]["code"], "bad_request", body)
            self.assertIn(expected, reply["error"]["message"], body)
        _, reply = self.call(s, [b'{"cmd":"echo"}', b'{"cmd":"echo"}'])
        self.assertEqual(reply["error"]["code"], "bad_request")

    def test_too_large_and_token(self):
        s = self.socket()
        _, reply = self.call(s, [json.dumps({"cmd": "echo", "args": {"pad": "x" * 10000}})])
        self.assertEqual(reply["error"]["code"], "too_large")
        _, reply = self.call(s, [json.dumps({"id": "t", "cmd": "echo", "token": "nope"})])
        self.assertEqual(reply["error"]["code"], "unauthorized")
        self.assertEqual(reply["id"], "t")
        _, reply = self.call(s, [json.dumps({"cmd": "echo", "token": "s3cret"})])
        self.assertTrue(reply["ok"])


if __name__ == "__main__":
    SERVER = sys.argv.pop(1)
    unittest.main()
