/** The node stopped being active (decommissioned, reaped) between selection and the lease write. */
export class NodeNotActiveError extends Error {
  constructor() {
    super('node is no longer active');
    this.name = 'NodeNotActiveError';
  }
}

/** No free address was found in the node's pools within the attempt budget. */
export class AddressesExhaustedError extends Error {
  constructor() {
    super('no free tunnel address found');
    this.name = 'AddressesExhaustedError';
  }
}

/**
 * The token's nullifier is already in the database: it was spent before and Redis forgot (flushed,
 * replaced, failed over). The lease transaction was rolled back.
 */
export class TokenAlreadySpentError extends Error {
  constructor() {
    super('token nullifier already recorded');
    this.name = 'TokenAlreadySpentError';
  }
}
