/** A render error stays inside the part of the page that threw: the page (around every route)
 * and each chart get their own boundary, so one bad variant blanks neither the app nor the
 * page's other parts. "Try again" renders the part anew; a change of `resetKey` (the route, the
 * variant) does too. */

import { Component, type ErrorInfo, type ReactNode } from "react";

import { useT } from "../i18n/locale";
import { ErrorNotice } from "./QueryState";

type Props = {
  children: ReactNode;
  /** Rendering starts over when this changes (e.g. the path or the variant shown). */
  resetKey?: unknown;
  /** The title above the error's message (default: "This part of the page failed"). */
  title?: string;
  testId?: string;
};

type State = { error: Error | null; resetKey: unknown };

class Boundary extends Component<Props, State> {
  state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey === state.resetKey ? null : { error: null, resetKey: props.resetKey };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.warn("A part of the page failed to render", error, info.componentStack);
  }

  render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <div data-testid={this.props.testId ?? "error-boundary"}>
        <ErrorNotice
          error={this.state.error}
          title={this.props.title}
          onRetry={() => this.setState({ error: null })}
        />
      </div>
    );
  }
}

export function ErrorBoundary(props: Props) {
  const t = useT();
  return <Boundary {...props} title={props.title ?? t("state.crashed")} />;
}
