/** Tests take the scripts' own (scripts/lib/free-port.ts): one way to find a free loopback port. */
export { freePort } from '../../scripts/lib/free-port.ts';
