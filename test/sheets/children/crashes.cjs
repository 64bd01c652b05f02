// A stand-in for the reader's child process: takes the file, then dies as a native crash would.
process.on('message', () => process.abort());
process.send({ type: 'ready' });
