/** Shop-scoped pages: the shop in the URL must be one of the caller's, else the page is "not found". */

import { createContext, useContext } from "react";
import { Outlet, useParams } from "react-router-dom";

import { useMe } from "../api/auth";
import type { ShopBrief } from "../api/types";
import { NotFound } from "./NotFound";

const ShopContext = createContext<ShopBrief | null>(null);

export function findShop(shops: ShopBrief[], raw: string | undefined): ShopBrief | null {
  if (!raw || !/^\d+$/.test(raw)) return null;
  return shops.find((shop) => shop.id === Number(raw)) ?? null;
}

export function ShopScope() {
  const { shopId } = useParams();
  const me = useMe();
  const shop = findShop(me.data?.shops ?? [], shopId);
  if (!shop) return <NotFound kind="shop" shopId={shopId ?? ""} />;
  return (
    <ShopContext.Provider value={shop}>
      <Outlet />
    </ShopContext.Provider>
  );
}

/** The shop of the current page; only valid under ShopScope. */
export function useCurrentShop(): ShopBrief {
  const shop = useContext(ShopContext);
  if (!shop) throw new Error("useCurrentShop is used outside a /shops/:shopId route");
  return shop;
}

/** The caller may change this shop's settings (managers and owners, and admins everywhere). */
export function useCanManage(shop: ShopBrief): boolean {
  const me = useMe();
  return me.data?.role === "admin" || shop.role === "owner" || shop.role === "manager";
}
