// The names of the API's item types, for people.
export const itemTypes: [string, string][] = [
  ["jump_client", "Jump Client"],
  ["protocol_tunnel_jump", "Protocol Tunnel Jump"],
  ["customer_client", "Customer client (access code)"],
];

/** itemTypeName names an item type for people. */
export function itemTypeName(t: string | undefined): string {
  return itemTypes.find(([v]) => v === t)?.[1] ?? t ?? "";
}

