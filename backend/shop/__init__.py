"""The produce shop (共富食味坊): cadres order the weekly theme's produce from local and partner-region
farmers, pay from the wallet or by WeChat Pay, and pick up at the canteen; the money is settled
with the suppliers."""
