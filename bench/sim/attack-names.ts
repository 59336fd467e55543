/**
 * The Byzantine behaviours the benchmark puts 3 of 10 peers through: model poisoning (signflip,
 * gaussian, alie, ipm), free-riding (zero, copy) and data poisoning (labelflip). A file of its own,
 * importing nothing, so the CLI can offer the names without loading the simulator (tfjs).
 */
export const attackNames = ['signflip', 'gaussian', 'zero', 'copy', 'alie', 'labelflip', 'ipm'] as const;
export type AttackName = (typeof attackNames)[number];
