#!/usr/bin/env -S node --liftoff-only
// The package's bin: the TypeScript sources run as they are (Node's type stripping).
// --liftoff-only: the embedded PostgreSQL (WebAssembly) is compiled by V8's baseline compiler
// only, which saves ~70 MB of memory at nearly the same query speed (bench/http.ts).
import '../src/main.ts';
