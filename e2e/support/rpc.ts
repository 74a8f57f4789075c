/**
 * Node-side clients for the security tests: the server's own test helpers, which set Origin, Host and Cookie
 * freely (a browser would not) and speak the contract exactly as the renderer does.
 */
export { connect as openSocket, httpGet, rpcOver, type WsOutcome as UpgradeOutcome } from '../../src-main/server/test-support';
