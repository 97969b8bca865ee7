"""What a shopper browses and buys: geography, the catalogue and its stock, selections and
wishlists."""
