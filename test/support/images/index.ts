export { buildDebianImage, type DebianExpectations, type DebianTestImage } from './debian-image';
export { publishTestImages, type PublishedImage, type PublishedImages, type PublishedIndex } from './publish';
