#!/bin/sh
# Migrate, deploy the bundled procedures (a no-op when unchanged), then run the command.
set -e
xuanpin db upgrade
xuanpin deploy /app/processes /app/forms
exec "$@"
