#include "shopify_manifest.h"

namespace storeflow::plugins::shopify {

// Config schema and actions (input/output schemas, examples); see README.md.
const char* const kShopifyManifest = R"json({
 "description": "Shopify Admin (REST + GraphQL) and Storefront API actions under a shared per-shop budget governor.",
 "config_schema": {
  "type": "object",
  "additionalProperties": false,
  "properties": {
   "shops": {
    "type": "array",
    "minItems": 1,
    "items": {
     "type": "object",
     "additionalProperties": false,
     "required": [
      "domain",
      "admin_token_secret"
     ],
     "properties": {
      "domain": {
       "type": "string",
       "minLength": 3,
       "description": "x.myshopify.com"
      },
      "admin_token_secret": {
       "type": "string",
       "minLength": 1,
       "description": "NAME of the secret holding the Admin API access token."
      },
      "storefront_token_secret": {
       "type": "string",
       "minLength": 1,
       "description": "NAME of the secret holding the Storefront API access token."
      },
      "api_version": {
       "type": "string",
       "description": "e.g. 2025-07; default: the top-level api_version."
      },
      "endpoint": {
       "type": "string",
       "description": "Base URL replacing https://{domain} (the simulator: http://127.0.0.1:PORT/shops/{domain})."
      },
      "limits": {
       "type": "object",
       "additionalProperties": false,
       "properties": {
        "graphql_bucket": {
         "type": "number",
         "exclusiveMinimum": 0,
         "default": 2000
        },
        "graphql_restore_per_second": {
         "type": "number",
         "exclusiveMinimum": 0,
         "default": 100
        },
        "rest_bucket": {
         "type": "number",
         "exclusiveMinimum": 0,
         "default": 40
        },
        "rest_leak_per_second": {
         "type": "number",
         "exclusiveMinimum": 0,
         "default": 2
        },
        "max_query_cost": {
         "type": "number",
         "exclusiveMinimum": 0,
         "default": 1000
        }
       }
      }
     }
    }
   },
   "api_version": {
    "type": "string",
    "default": "2025-07"
   },
   "timeout_ms": {
    "type": "integer",
    "minimum": 1,
    "default": 30000,
    "description": "One HTTP exchange."
   },
   "max_wait_ms": {
    "type": "integer",
    "minimum": 0,
    "default": 30000,
    "description": "Longest a step waits for API budget (also bounded by the step's deadline)."
   },
   "default_query_cost": {
    "type": "number",
    "exclusiveMinimum": 0,
    "default": 100,
    "description": "GraphQL points reserved for an operation whose cost is not known yet."
   },
   "source_id_metafield": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "namespace": {
      "type": "string"
     },
     "key": {
      "type": "string"
     }
    }
   }
  }
 },
 "metrics": [
  {"name": "calls", "type": "counter", "help": "Shopify actions run (labels action, shop, status: ok or the error code)."},
  {"name": "requests", "type": "counter", "help": "HTTP requests to Shopify (labels shop, api, status: HTTP status or network)."},
  {"name": "throttles", "type": "counter", "help": "429s, THROTTLED answers and reservations that could not wait (labels shop, api)."},
  {"name": "retries", "type": "counter", "help": "Tries again inside a step (labels shop, api, reason)."},
  {"name": "bucket_level", "type": "gauge", "help": "The shared rate bucket's level after the last correction (labels shop, api)."},
  {"name": "graphql_actual_cost", "type": "histogram", "help": "Actual query cost of GraphQL calls, in Shopify cost points (labels shop, api).",
   "buckets": [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]}
 ],
 "actions": [
  {
   "name": "shopify.graphql",
   "description": "Runs any Admin GraphQL query or mutation with variables, under the shop's cost budget (reserves the requested cost, corrects it with the actual cost, waits out THROTTLED inside the step's deadline).",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "query": {
      "type": "string",
      "minLength": 1
     },
     "variables": {
      "type": "object"
     },
     "operation_name": {
      "type": "string",
      "description": "operationName, when the document has several operations."
     },
     "cost_estimate": {
      "type": "number",
      "exclusiveMinimum": 0,
      "description": "Points to reserve before the first answer tells the real requested cost."
     }
    },
    "required": [
     "query"
    ]
   },
   "output_schema": {
    "type": "object",
    "required": [
     "data",
     "cost"
    ],
    "properties": {
     "data": {},
     "cost": {
      "type": "object",
      "properties": {
       "requested": {
        "type": "number"
       },
       "actual": {
        "type": "number"
       },
       "available": {
        "type": "number"
       }
      }
     }
    }
   },
   "examples": [
    {
     "query": "query Shop { shop { id name myshopifyDomain currencyCode } }",
     "operation_name": "Shop"
    }
   ]
  },
  {
   "name": "shopify.storefront_cart",
   "description": "Reads a cart through the Storefront API (cart(id)); null when the cart no longer exists (it became an order, expired or is unknown).",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "id": {
      "type": "string",
      "minLength": 1,
      "description": "Cart token (as in carts/create webhooks) or gid://shopify/Cart/<token>."
     }
    },
    "required": [
     "id"
    ]
   },
   "output_schema": {
    "type": [
     "object",
     "null"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "checkoutUrl": {
      "type": "string"
     },
     "totalQuantity": {
      "type": "integer"
     },
     "lines": {
      "type": "object"
     }
    }
   },
   "examples": [
    {
     "id": "gid://shopify/Cart/c1-7a2b4c"
    }
   ]
  },
  {
   "name": "shopify.orders_count",
   "description": "Counts orders (REST orders/count.json) matching the filters.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "status": {
      "type": "string",
      "enum": [
       "open",
       "closed",
       "cancelled",
       "any"
      ],
      "description": "Default (Shopify): open."
     },
     "financial_status": {
      "type": "string"
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "count"
    ],
    "properties": {
     "count": {
      "type": "integer",
      "minimum": 0
     }
    }
   },
   "examples": [
    {
     "status": "any",
     "updated_at_min": "2026-01-01T00:00:00Z"
    }
   ]
  },
  {
   "name": "shopify.products_count",
   "description": "Counts products (REST products/count.json) matching the filters.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "status": {
      "type": "string",
      "enum": [
       "active",
       "archived",
       "draft"
      ]
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "count"
    ],
    "properties": {
     "count": {
      "type": "integer",
      "minimum": 0
     }
    }
   },
   "examples": [
    {
     "updated_at_min": "2026-01-01T00:00:00Z"
    }
   ]
  },
  {
   "name": "shopify.customers_count",
   "description": "Counts customers (REST customers/count.json) matching the filters.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "count"
    ],
    "properties": {
     "count": {
      "type": "integer",
      "minimum": 0
     }
    }
   },
   "examples": [
    {
     "updated_at_min": "2026-01-01T00:00:00Z"
    }
   ]
  },
  {
   "name": "shopify.orders_list",
   "description": "Lists orders (REST orders.json) a page at a time, oldest id first, with a resumable `cursor`; `max_pages` pages to the end with a cap.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 250,
      "default": 50,
      "description": "Items per page (Shopify's maximum is 250)."
     },
     "max_pages": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000,
      "default": 1,
      "description": "Pages to fetch in this call (1: one page; more: follows the cursor until the end or this cap)."
     },
     "cursor": {
      "type": "string",
      "description": "`cursor` of the previous call: continues that listing (only `limit`, `fields` and `max_pages` may be sent with it)."
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     },
     "since_id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Only items with a larger id (integer, decimal string or GID)."
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     },
     "status": {
      "type": "string",
      "enum": [
       "open",
       "closed",
       "cancelled",
       "any"
      ],
      "description": "Default (Shopify): open."
     },
     "financial_status": {
      "type": "string"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "orders",
     "cursor",
     "has_more",
     "pages"
    ],
    "properties": {
     "orders": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "cursor": {
      "type": [
       "string",
       "null"
      ],
      "description": "Pass it back as `cursor` for the next page; null at the end."
     },
     "has_more": {
      "type": "boolean"
     },
     "pages": {
      "type": "integer",
      "minimum": 1
     }
    }
   },
   "examples": [
    {
     "status": "any",
     "limit": 250,
     "updated_at_min": "2026-01-01T00:00:00Z",
     "fields": [
      "id",
      "name",
      "updated_at",
      "total_price"
     ]
    }
   ]
  },
  {
   "name": "shopify.products_list",
   "description": "Lists products (REST products.json) with a resumable `cursor`.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 250,
      "default": 50,
      "description": "Items per page (Shopify's maximum is 250)."
     },
     "max_pages": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000,
      "default": 1,
      "description": "Pages to fetch in this call (1: one page; more: follows the cursor until the end or this cap)."
     },
     "cursor": {
      "type": "string",
      "description": "`cursor` of the previous call: continues that listing (only `limit`, `fields` and `max_pages` may be sent with it)."
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     },
     "since_id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Only items with a larger id (integer, decimal string or GID)."
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     },
     "status": {
      "type": "string",
      "enum": [
       "active",
       "archived",
       "draft"
      ]
     },
     "handle": {
      "type": "string"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "products",
     "cursor",
     "has_more",
     "pages"
    ],
    "properties": {
     "products": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "cursor": {
      "type": [
       "string",
       "null"
      ],
      "description": "Pass it back as `cursor` for the next page; null at the end."
     },
     "has_more": {
      "type": "boolean"
     },
     "pages": {
      "type": "integer",
      "minimum": 1
     }
    }
   },
   "examples": [
    {
     "limit": 100,
     "fields": "id,title,handle,updated_at"
    }
   ]
  },
  {
   "name": "shopify.customers_list",
   "description": "Lists customers (REST customers.json) with a resumable `cursor`.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 250,
      "default": 50,
      "description": "Items per page (Shopify's maximum is 250)."
     },
     "max_pages": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000,
      "default": 1,
      "description": "Pages to fetch in this call (1: one page; more: follows the cursor until the end or this cap)."
     },
     "cursor": {
      "type": "string",
      "description": "`cursor` of the previous call: continues that listing (only `limit`, `fields` and `max_pages` may be sent with it)."
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     },
     "since_id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Only items with a larger id (integer, decimal string or GID)."
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "customers",
     "cursor",
     "has_more",
     "pages"
    ],
    "properties": {
     "customers": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "cursor": {
      "type": [
       "string",
       "null"
      ],
      "description": "Pass it back as `cursor` for the next page; null at the end."
     },
     "has_more": {
      "type": "boolean"
     },
     "pages": {
      "type": "integer",
      "minimum": 1
     }
    }
   },
   "examples": [
    {
     "limit": 250,
     "updated_at_min": "2026-01-01T00:00:00Z"
    }
   ]
  },
  {
   "name": "shopify.abandoned_checkouts",
   "description": "Lists abandoned checkouts (REST checkouts.json) with a resumable `cursor`.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "limit": {
      "type": "integer",
      "minimum": 1,
      "maximum": 250,
      "default": 50,
      "description": "Items per page (Shopify's maximum is 250)."
     },
     "max_pages": {
      "type": "integer",
      "minimum": 1,
      "maximum": 1000,
      "default": 1,
      "description": "Pages to fetch in this call (1: one page; more: follows the cursor until the end or this cap)."
     },
     "cursor": {
      "type": "string",
      "description": "`cursor` of the previous call: continues that listing (only `limit`, `fields` and `max_pages` may be sent with it)."
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     },
     "since_id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Only items with a larger id (integer, decimal string or GID)."
     },
     "updated_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "updated at min (ISO 8601)"
     },
     "updated_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "updated at max (ISO 8601)"
     },
     "created_at_min": {
      "type": "string",
      "minLength": 10,
      "description": "created at min (ISO 8601)"
     },
     "created_at_max": {
      "type": "string",
      "minLength": 10,
      "description": "created at max (ISO 8601)"
     },
     "status": {
      "type": "string",
      "enum": [
       "open",
       "closed"
      ],
      "description": "Default (Shopify): open."
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "checkouts",
     "cursor",
     "has_more",
     "pages"
    ],
    "properties": {
     "checkouts": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "cursor": {
      "type": [
       "string",
       "null"
      ],
      "description": "Pass it back as `cursor` for the next page; null at the end."
     },
     "has_more": {
      "type": "boolean"
     },
     "pages": {
      "type": "integer",
      "minimum": 1
     }
    }
   },
   "examples": [
    {
     "created_at_min": "2026-01-01T00:00:00Z",
     "limit": 50
    }
   ]
  },
  {
   "name": "shopify.order_get",
   "description": "Reads one order (REST orders/{id}.json); a 404 is a permanent not_found error.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Order id: integer, decimal string or gid://shopify/Order/<id>."
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     }
    },
    "required": [
     "id"
    ]
   },
   "output_schema": {
    "type": "object",
    "required": [
     "id"
    ],
    "properties": {
     "id": {
      "type": "integer"
     }
    }
   },
   "examples": [
    {
     "id": "gid://shopify/Order/820982911946154508"
    }
   ]
  },
  {
   "name": "shopify.product_get",
   "description": "Reads one product (REST products/{id}.json); a 404 is a permanent not_found error.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Product id: integer, decimal string or gid://shopify/Product/<id>."
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     }
    },
    "required": [
     "id"
    ]
   },
   "output_schema": {
    "type": "object",
    "required": [
     "id"
    ],
    "properties": {
     "id": {
      "type": "integer"
     }
    }
   },
   "examples": [
    {
     "id": 788032119674292922
    }
   ]
  },
  {
   "name": "shopify.customer_by_email",
   "description": "Finds the customer with exactly this email (REST customers/search.json); null when there is none.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "email": {
      "type": "string",
      "minLength": 3
     },
     "fields": {
      "type": [
       "array",
       "string"
      ],
      "items": {
       "type": "string"
      },
      "description": "Only these fields of each item (REST `fields`), as a list or a comma-separated string."
     }
    },
    "required": [
     "email"
    ]
   },
   "output_schema": {
    "type": [
     "object",
     "null"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "email": {
      "type": "string"
     }
    }
   },
   "examples": [
    {
     "email": "jane@example.com"
    }
   ]
  },
  {
   "name": "shopify.product_upsert",
   "description": "Creates or updates a product with GraphQL productSet, matched by `handle` or by `source_id` (kept in a metafield, default storeflow.source_id) for store-to-store sync.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "product": {
      "type": "object",
      "description": "Shopify's ProductSetInput (title, descriptionHtml, vendor, productType, tags, status, productOptions, variants, metafields, ...)."
     },
     "handle": {
      "type": "string",
      "minLength": 1
     },
     "source_id": {
      "type": [
       "string",
       "integer"
      ],
      "description": "The product's id in the source store."
     },
     "source_namespace": {
      "type": "string",
      "minLength": 2
     },
     "source_key": {
      "type": "string",
      "minLength": 2
     }
    },
    "required": [
     "product"
    ]
   },
   "output_schema": {
    "type": "object",
    "required": [
     "id",
     "handle"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "legacy_resource_id": {
      "type": "integer"
     },
     "handle": {
      "type": "string"
     },
     "title": {
      "type": "string"
     },
     "updated_at": {
      "type": "string"
     },
     "matched_by": {
      "type": "string",
      "enum": [
       "handle",
       "source_id"
      ]
     }
    }
   },
   "examples": [
    {
     "source_id": "788032119674292922",
     "product": {
      "title": "IPod Nano - 8GB",
      "vendor": "Apple",
      "status": "ACTIVE"
     }
    },
    {
     "handle": "ipod-nano",
     "product": {
      "title": "IPod Nano - 8GB"
     }
    }
   ]
  },
  {
   "name": "shopify.product_delete",
   "description": "Deletes a product (GraphQL productDelete) named by `id`, or by `source_id` (the metafield product_upsert keeps) for store-to-store sync; `deleted` is false when it was already gone (then `id` is null if no product had that source id).",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "id": {
      "type": [
       "integer",
       "string"
      ],
      "description": "Product id: integer, decimal string or gid://shopify/Product/<id>. Give `id` or `source_id`."
     },
     "source_id": {
      "type": [
       "string",
       "integer"
      ],
      "description": "The product's id in the source store, as shopify.product_upsert kept it in its metafield."
     },
     "source_namespace": {
      "type": "string",
      "minLength": 2
     },
     "source_key": {
      "type": "string",
      "minLength": 2
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "id",
     "deleted"
    ],
    "properties": {
     "id": {
      "type": [
       "string",
       "null"
      ]
     },
     "deleted": {
      "type": "boolean"
     }
    }
   },
   "examples": [
    {
     "id": "gid://shopify/Product/788032119674292922"
    }
   ]
  },
  {
   "name": "shopify.webhook_subscriptions_sync",
   "description": "Makes the shop send each topic to `address` (REST webhooks.json): creates what is missing, keeps what exists, and removes subscriptions at `address` for other topics only as `prune` says (default: only those it created itself). Without `topics`: the topics the engine's loaded workflows listen to (`webhook: shopify/...` triggers and `wait_for` events); without `address`: <http.public_url>/webhooks/shopify.",
   "input_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "shop": {
      "type": "string",
      "minLength": 1,
      "description": "Shop domain (x.myshopify.com or x); default: the only configured shop."
     },
     "address": {
      "type": "string",
      "minLength": 8,
      "description": "The engine's public webhook URL; default: <http.public_url>/webhooks/shopify."
     },
     "topics": {
      "type": "array",
      "description": "Topics such as orders/create; default: those the loaded workflows listen to.",
      "items": {
       "type": "string"
      },
      "uniqueItems": true
     },
     "format": {
      "type": "string",
      "enum": [
       "json",
       "xml"
      ],
      "default": "json"
     },
     "prune": {
      "type": "string",
      "enum": [
       "none",
       "created",
       "all"
      ],
      "default": "created"
     }
    }
   },
   "output_schema": {
    "type": "object",
    "required": [
     "address",
     "topics",
     "topics_from",
     "created",
     "kept",
     "removed"
    ],
    "properties": {
     "address": {
      "type": "string"
     },
     "topics": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "topics_from": {
      "type": "string",
      "enum": [
       "topics",
       "workflows"
      ]
     },
     "created": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "integer"
        },
        "topic": {
         "type": "string"
        },
        "address": {
         "type": "string"
        }
       }
      }
     },
     "kept": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "integer"
        },
        "topic": {
         "type": "string"
        },
        "address": {
         "type": "string"
        }
       }
      }
     },
     "removed": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "id": {
         "type": "integer"
        },
        "topic": {
         "type": "string"
        },
        "address": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "examples": [
    {},
    {
     "address": "https://flows.example.com/webhooks/shopify",
     "topics": [
      "orders/create",
      "carts/update",
      "checkouts/update"
     ]
    }
   ]
  }
 ]
})json";

}  // namespace storeflow::plugins::shopify
