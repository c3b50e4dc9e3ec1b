export { i2osp, os2ip } from './bigint';
export { SHA384_LENGTH, emsaPssEncode, mgf1Sha384 } from './emsa-pss';
export { rsaPrivateKey, rsaPublicInfo, rsaPublicKeyFromSpkiDer, type RsaPublicInfo } from './rsa-key';
export {
  BlindRsa,
  MSG_PREFIX_LENGTH,
  RSABSSA_SHA384_PSSZERO_DETERMINISTIC,
  RSABSSA_SHA384_PSSZERO_RANDOMIZED,
  RSABSSA_SHA384_PSS_DETERMINISTIC,
  RSABSSA_SHA384_PSS_RANDOMIZED,
  RSABSSA_SHA384_VARIANTS,
  blindSignRaw,
  type BlindingResult,
  type RsaBssaVariant,
  type RsaBssaVariantName,
} from './rsabssa';
