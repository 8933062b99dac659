"""Hostile HTTP/1.1 clients for tests/e2e/sink_hostile.sh (standard library only).

  hostile_http.py hold HOST:PORT SLOW IDLE SECONDS
      opens SLOW slowloris connections (headers sent a line a second, never finished) and IDLE
      connections that send nothing, prints "ready N" once all N are open, keeps them so for
      SECONDS at most (or until killed), then closes them.
  hostile_http.py pipeline HOST:PORT PATH COUNT
      sends COUNT GET requests for PATH in one write on one connection and prints the status
      line of every response read back (10 s at most); exit 1 when fewer came back.
"""
import socket
import sys
import time


def connect(address):
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def hold(address, slow, idle, seconds):
    conns = []
    for i in range(slow + idle):
        s = connect(address)
        if i < slow:
            s.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n")
        conns.append(s)
    print(f"ready {len(conns)}", flush=True)
    deadline = time.monotonic() + seconds
    line = 0
    while time.monotonic() < deadline:
        time.sleep(1)
        line += 1
        for s in conns[:slow]:
            try:
                s.sendall(b"X-Slow-%d: 1\r\n" % line)
            except OSError:
                pass
    for s in conns:
        s.close()


def pipeline(address, path, count):
    s = connect(address)
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    s.sendall(request * count)
    data = b""
    statuses = []
    deadline = time.monotonic() + 10
    while len(statuses) < count and time.monotonic() < deadline:
        # Parse whole responses off the front of what has arrived.
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].decode("latin-1").split("\r\n")
            length = 0
            for h in head[1:]:
                name, _, value = h.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(data) >= head_end + 4 + length:
                statuses.append(head[0])
                data = data[head_end + 4 + length:]
                continue
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    for line in statuses:
        print(line)
    sys.exit(0 if len(statuses) == count else 1)


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        hold(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        pipeline(sys.argv[2], sys.argv[3], int(sys.argv[4]))
