// @tensorflow/tfjs-node is an optional dependency: runtimes/tfjs-backend.ts imports it only for its
// side effect (registering the 'tensorflow' backend) and falls back when it is missing. Declaring
// it here keeps the type check clean on installs without it (npm ci --omit=optional, or a failed
// libtensorflow download), where its own declarations are absent.
declare module '@tensorflow/tfjs-node';
