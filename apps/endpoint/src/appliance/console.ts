/**
 * The appliance's console is its first serial port, which vSphere keeps in a file on the datastore
 * (`vic-machine debug` shows it): every step says what it does and every failure says why.
 */
export function say(message: string): void {
  console.log(`vic-appliance: ${message}`);
}

export function complain(message: string): void {
  console.error(`vic-appliance: error: ${message}`);
}
