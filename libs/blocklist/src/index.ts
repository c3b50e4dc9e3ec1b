// @phoenix/blocklist: hosts list → Bloom filter in the published format (API.md "Published
// blocklist"), and the lookup apps do. Pure: no IO, no clock, no randomness.
export { BLOCKLIST_FORMAT, MAX_FILTER_BITS, bitPositions, bloomParameters, buildFilter, filterContains, filterFromBytes, findBlocked } from './bloom-filter';
export type { BloomFilter, BloomParameters } from './bloom-filter';
export { MAX_LABEL_LENGTH, MAX_NAME_LENGTH, normalizeDomain } from './domain-name';
export type { InvalidNameReason, NormalizedName } from './domain-name';
export { BlocklistError, BlocklistErrorCode, isBlocklistError } from './errors';
export { MAX_REPORTED_INVALID, parseHosts } from './hosts';
export type { InvalidEntry, InvalidEntryReason, ParsedHosts } from './hosts';
export {
  ManifestRejection, ManifestVerificationError, buildManifest, canonicalManifestBytes, filterFilePath, manifestPublicKey, serializeManifest, sha256Hex, signBytes, signManifest,
  verifyBytes, verifyFilterFile, verifyManifest, verifyPublished,
} from './manifest';
export type { BlocklistManifest, ManifestInput, UnsignedManifest } from './manifest';
export { murmur3x64_128 } from './murmur3';
