// Posture names shared by the schemas and the code that decides them (DESIGN.md §3).
export const POSTURES = ['Signed', 'KeySigned', 'Unverifiable', 'Invalid', 'Unsigned', 'Checking'] as const;
export type Posture = (typeof POSTURES)[number];
