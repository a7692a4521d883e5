import { parseDigest } from '../digest';
import type { Descriptor, ImageIndex, ImageManifest } from '../image/image-types';
import { MediaType } from '../image/media-types';
import { fail, ok, type Result } from '../result';
import type { RegistryErrorCode } from './errors';

/** A manifest as the registry served it, validated: either one image or an index of images. */
export type ManifestDocument =
  | { kind: 'image'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

/** The `Accept` header of a manifest GET: every type we understand, and schema 1 so we can refuse it by name. */
export const manifestAcceptHeader = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.dockerSchema1SignedManifest,
  MediaType.dockerSchema1Manifest,
].join(', ');

const imageTypes = new Set<string>([MediaType.dockerManifest, MediaType.ociManifest]);
const indexTypes = new Set<string>([MediaType.dockerManifestList, MediaType.ociIndex]);
const schema1Types = new Set<string>([MediaType.dockerSchema1Manifest, MediaType.dockerSchema1SignedManifest]);

/** moby's `DeprecatedSchema1ImageError`, worded for the full reference (e.g. `docker.io/library/x:1`). */
export function schema1Message(reference: string): string {
  return (
    'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. ' +
    `Suggest the author of ${reference} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. ` +
    'More information at https://docs.docker.com/go/deprecated-image-specs/'
  );
}

/**
 * Parses and checks a manifest body. The media type comes from the body's `mediaType`, else the
 * `Content-Type` header, else the shape (OCI allows omitting it). `reference` names the image
 * in messages.
 */
export function parseManifestDocument(
  body: Buffer,
  contentType: string | undefined,
  reference: string,
): Result<ManifestDocument, RegistryErrorCode> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return fail('MANIFEST_INVALID', `invalid manifest for ${reference}: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('MANIFEST_INVALID', `invalid manifest for ${reference}: not a JSON object`);
  }
  const document = json as Record<string, unknown>;
  const mediaType = typeof document.mediaType === 'string' ? document.mediaType : (specificType(contentType) ?? inferMediaType(document));
  if (document.schemaVersion === 1 || schema1Types.has(mediaType)) return fail('MANIFEST_UNSUPPORTED', schema1Message(reference));
  if (document.schemaVersion !== 2) {
    return fail('MANIFEST_INVALID', `invalid manifest for ${reference}: unsupported schemaVersion ${JSON.stringify(document.schemaVersion)}`);
  }
  if (imageTypes.has(mediaType)) return parseImageManifest(document, mediaType, reference);
  if (indexTypes.has(mediaType)) return parseIndex(document, mediaType, reference);
  // distribution's `UnmarshalManifest` wording.
  return fail('MANIFEST_UNSUPPORTED', `unsupported manifest media type and no default available: ${mediaType}`);
}

/** The header's media type unless it says nothing more than "JSON". */
function specificType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim();
  return type === undefined || type === '' || type === 'application/json' ? undefined : type;
}

function inferMediaType(document: Record<string, unknown>): string {
  if (Array.isArray(document.manifests)) return MediaType.ociIndex;
  if (document.config !== undefined) return MediaType.ociManifest;
  return '';
}

function parseImageManifest(document: Record<string, unknown>, mediaType: string, reference: string): Result<ManifestDocument, RegistryErrorCode> {
  const config = checkDescriptor(document.config, 'config');
  if (!config.ok) return invalid(reference, config.error.message);
  if (!Array.isArray(document.layers)) return invalid(reference, 'layers is not a list');
  const layers: Descriptor[] = [];
  for (const [index, layer] of document.layers.entries()) {
    const checked = checkDescriptor(layer, `layers[${index}]`);
    if (!checked.ok) return invalid(reference, checked.error.message);
    layers.push(checked.value);
  }
  const manifest = { ...(document as object), config: config.value, layers } as ImageManifest;
  return ok({ kind: 'image', mediaType, manifest });
}

function parseIndex(document: Record<string, unknown>, mediaType: string, reference: string): Result<ManifestDocument, RegistryErrorCode> {
  if (!Array.isArray(document.manifests)) return invalid(reference, 'manifests is not a list');
  const manifests: Descriptor[] = [];
  for (const [index, entry] of document.manifests.entries()) {
    const checked = checkDescriptor(entry, `manifests[${index}]`);
    if (!checked.ok) return invalid(reference, checked.error.message);
    manifests.push(checked.value);
  }
  const index = { ...(document as object), manifests } as ImageIndex;
  return ok({ kind: 'index', mediaType, index });
}

function checkDescriptor(value: unknown, where: string): Result<Descriptor, 'MANIFEST_INVALID'> {
  if (typeof value !== 'object' || value === null) return fail('MANIFEST_INVALID', `${where} is not a descriptor`);
  const { mediaType, digest, size, platform } = value as Record<string, unknown>;
  if (typeof mediaType !== 'string' || mediaType === '') return fail('MANIFEST_INVALID', `${where} has no mediaType`);
  if (typeof digest !== 'string') return fail('MANIFEST_INVALID', `${where} has no digest`);
  if (!parseDigest(digest).ok) return fail('MANIFEST_INVALID', `${where} has an invalid digest ${JSON.stringify(digest)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    return fail('MANIFEST_INVALID', `${where} has an invalid size ${JSON.stringify(size)}`);
  }
  if (platform !== undefined) {
    const { os, architecture } = (platform ?? {}) as Record<string, unknown>;
    if (typeof os !== 'string' || typeof architecture !== 'string') return fail('MANIFEST_INVALID', `${where} has an invalid platform`);
  }
  return ok(value as Descriptor);
}

function invalid(reference: string, why: string): Result<never, RegistryErrorCode> {
  return fail('MANIFEST_INVALID', `invalid manifest for ${reference}: ${why}`);
}
