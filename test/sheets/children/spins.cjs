// A stand-in for the reader's child process: takes the file, then never answers (a parser stuck in a loop).
process.on('message', () => {
  for (;;);
});
process.send({ type: 'ready' });
