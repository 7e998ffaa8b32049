#!/bin/sh
# The demo environment's scoring server: answers GET /score with the model it was built with.
# The model layer the pipeline appends puts the model in /app/model (model-image-path).
set -e
port="${PORT:-8080}"
model="$(ls /app/model 2>/dev/null | tr '\n' ' ')"
echo "scoring on :$port with /app/model: ${model:-no model}"
while true; do
  printf 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"model":"%s","arch":"%s"}\n' \
    "$model" "$(uname -m)" | nc -l -p "$port" >/dev/null
done
