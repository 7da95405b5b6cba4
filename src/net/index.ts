// The one model of IP addresses, RemoteIPRanges entries and bindings (reference §5). Every
// layer that reads, compares or prints one calls this module; nothing else parses addresses.
export * from './address.js';
export * from './range.js';
export * from './binding.js';
export * from './address-parts.js';
