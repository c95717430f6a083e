/**
 * Child side of `copyListeningSockets`: for each listening socket the parent sends, sends it back
 * `count` times. Every transfer over the IPC channel is a new descriptor in the receiver, which is the
 * point. This process never listens on what it receives, so it never accepts a connection; it exits
 * when the parent disconnects.
 */
process.on('message', (message: unknown, handle: unknown) => {
  const { index, count } = message as { index: number; count: number };
  for (let i = 0; i < count; i++) process.send?.({ copy: index }, handle as never);
});
