# A TCP server that never answers: prints "PORT <n>", accepts one
# connection, reads until 1 s of silence (or EOF, or 10 s), then prints the
# hex of the first 6 bytes and whether b"plaintext-marker" was received.
import socket
import sys
import time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(1)
sys.stdout.write("PORT %d\n" % server.getsockname()[1])
sys.stdout.flush()
server.settimeout(10)
conn, _ = server.accept()
data = b""
deadline = time.time() + 10
while time.time() < deadline:
    conn.settimeout(1.0)
    try:
        chunk = conn.recv(4096)
    except socket.timeout:
        break
    if not chunk:
        break
    data += chunk
sys.stdout.write("%s %s\n" % (data[:6].hex(), b"plaintext-marker" in data))
conn.close()
server.close()
