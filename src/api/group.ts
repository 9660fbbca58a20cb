// The API group and version every signwarden kind belongs to.
export const GROUP = 'signwarden.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
