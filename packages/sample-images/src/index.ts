export { cachedImage, sha256, type BuiltImage, type BuiltLayer } from './built-image';
export { buildBusyboxImage } from './busybox-image';
export { writeDockerArchive } from './docker-archive';
export { tarOf, type TarEntry } from './layer-tar';
