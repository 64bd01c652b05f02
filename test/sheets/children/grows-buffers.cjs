// A stand-in for the reader's child process: takes the file, then grows Buffers (memory outside
// the V8 heap, as an inflating zip does) until it is stopped. --max-old-space-size does not stop it.
const kept = [];
process.on('message', () => {
  setInterval(() => kept.push(Buffer.alloc(16 * 1024 * 1024, 1)), 5);
});
process.send({ type: 'ready' });
