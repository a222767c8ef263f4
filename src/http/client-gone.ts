/**
 * The reason a request's work is aborted when its client disconnects. It is not a failure of the
 * server: nothing is answered (there is nobody to answer) and nothing is logged as an error.
 */
class ClientGoneError extends Error {
  constructor() {
    super('The client closed the connection.');
    this.name = 'ClientGoneError';
  }
}

export { ClientGoneError };
