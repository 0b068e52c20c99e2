// lib/types.ts takes the API's shapes from the server's zod schemas (type-only). One of the domain
// modules those reach loads luxon lazily with require(); declaring it here lets the browser code
// type-check without Node's types, which would let Node-only globals slip into browser code.
declare function require(id: string): unknown;
