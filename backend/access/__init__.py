"""Gates and visitors (门禁与访客): invitations and visitors' requests, walk-ins at the guard post,
signed QR passes a gate terminal checks even offline, staff cards, vehicle plates, who is inside
each building now, the blacklist and the retention of visitors' personal data."""
