export { buildBusyboxImage } from './busybox-image';
export { cachedImage, type BuiltImage, type BuiltLayer } from './built-image';
export { buildDebianImage, type DebianExpectations, type DebianTestImage } from './debian-image';
export { publishTestImages, type PublishedImage, type PublishedImages, type PublishedIndex } from './publish';
