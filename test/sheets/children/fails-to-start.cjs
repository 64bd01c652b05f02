// A stand-in for a broken installation: the reader's child process fails before it is ready.
throw new Error('cannot load the reader');
