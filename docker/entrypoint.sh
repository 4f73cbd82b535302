#!/bin/sh
# Start the appliance in its container. On the first start (no appliance.toml in the data
# folder) it initialises the folder and creates the administrator account, whose generated
# password is printed once to the container log. Every start runs the database
# migrations before serving (`appliance serve` does that itself).
set -eu

DATA="${APPLIANCE_DATA:-/var/lib/appliance}"
ADMIN="${APPLIANCE_ADMIN_ADDRESS:-postmaster@${APPLIANCE_DOMAIN:-hue.gov.vn}}"

# Certificates mounted at /etc/appliance/tls replace the self-signed pair.
if [ -z "${APPLIANCE_TLS_CERT:-}" ] && [ -f /etc/appliance/tls/fullchain.pem ] \
    && [ -f /etc/appliance/tls/privkey.pem ]; then
    export APPLIANCE_TLS_CERT=/etc/appliance/tls/fullchain.pem
    export APPLIANCE_TLS_KEY=/etc/appliance/tls/privkey.pem
fi

if [ ! -f "$DATA/appliance.toml" ]; then
    echo "first start: initialising $DATA"
    appliance --data "$DATA" init
    echo "creating the administrator account $ADMIN"
    appliance --data "$DATA" account add "$ADMIN" --kind centre_admin --generate \
        --name "Trung tâm điều hành"
    echo "store this password now: it is not shown again (reset it with: appliance account passwd)"
fi

if [ "${1:-serve}" = serve ]; then
    exec appliance --data "$DATA" serve
fi
exec appliance --data "$DATA" "$@"
