export * from './frame';
export * from './frame-decoder';
export * from './messages';
export * from './body-codec';
export * from './outbound-stream';
export * from './inbound-stream';
export * from './stream-mux';
export * from './exit-status';
